/** The directory holding mtest's own package.json, above this module. */
export declare function packageRoot(from?: string): string;
/** A compiled addon of mtest's (`build/Release/NAME.node`), whether or not it has been built. */
export declare function addonFile(name: string): string;
