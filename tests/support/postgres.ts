// A private PostgreSQL: in scripts/lib (npm run cluster starts it too).
export * from '../../scripts/lib/postgres';
