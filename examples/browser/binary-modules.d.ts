/** Files the browser build inlines with esbuild's `binary` loader: the import is the file's bytes. */
declare module '*.dll' {
  const bytes: Uint8Array;
  export default bytes;
}
