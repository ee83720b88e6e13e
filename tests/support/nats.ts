// A private nats-server: in scripts/lib (npm run cluster starts it too).
export * from '../../scripts/lib/nats';
