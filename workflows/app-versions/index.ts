// Latest app version detection: the App Store lookup and the sync the app_version_sync job runs.
export * from './itunes.ts';
export * from './sync.ts';
