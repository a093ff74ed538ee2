export * from './endpoint-fuzzer.ts';
export * from './fuzz-app.ts';
