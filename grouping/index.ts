export * from './fingerprint.ts';
export * from './grouping.ts';
export * from './grouping-configs.ts';
export * from './normalize-message.ts';
export * from './stack-frames.ts';
export * from './explanation.ts';
