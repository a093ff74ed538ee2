export * from './directory-blob-store.ts';
export * from './signed-urls.ts';
