// Recognising MongoDB driver errors by code and name, not by message text.
export const isDuplicateKey = (error: unknown): boolean => (error as { code?: unknown }).code === 11000;

const UNAVAILABLE = /^Mongo(ServerSelection|Network|NetworkTimeout|NotConnected|Topology|PoolCleared|ServerClosed|TopologyClosed)Error$/;

/** The store cannot be reached right now (as opposed to a bad query). */
export const isMongoUnavailable = (error: unknown): boolean => UNAVAILABLE.test(String((error as { name?: unknown }).name));
