// The server bundled for plain node: in scripts/lib (npm run cluster starts it too).
export * from '../../scripts/lib/bundle';
