// What scripts/bench.ts and its server processes (scripts/bench-server.ts) agree on.
export const CALLBACK = 'https://rp.example/cb';
export const PASSWORD = 'benk-passord-for-lasttest';

export type QueryPlan = { label: string; plan: string[]; indexed: boolean; rows: number };

export type Ready = {
  type: 'ready';
  base: string;
  clientId: string;
  secret: string;
  members: string[];
  plans?: QueryPlan[];
  preloaded?: { rows: number; seconds: number };
};
