import absolute32 from '../../fixtures/pe/absolute32.dll';
export const dll: Uint8Array = absolute32;
