/** A port on 127.0.0.1 that nothing listens on and no other test process has been handed. */
export function freePort(): Promise<number>;
