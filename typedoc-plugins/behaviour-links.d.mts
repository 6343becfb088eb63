/** Number → anchor of the kernel guide's table that explains that Windows behaviour. */
export function behaviourAnchors(markdown: string): Map<number, string>;
/** The typedoc plugin entry point. */
export function load(app: unknown): void;
