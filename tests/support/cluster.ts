// A cluster on one machine: in scripts/lib (npm run cluster starts it too).
export * from '../../scripts/lib/cluster';
