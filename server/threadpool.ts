/**
 * chDB runs every query and insert on libuv's thread pool (4 threads unless
 * told otherwise). Four long analyst queries would take all of them and stall
 * the pipeline's inserts and every other read, so the pool is made larger than
 * the analyst query cap. Imported first by the entry point: the pool size is
 * read once, when the pool first starts.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
