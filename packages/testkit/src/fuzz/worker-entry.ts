// A fuzz worker process's entry: its one argument is the job's options, and it runs the chunks its parent hands it, loading no CLI parser or progress bar.
import type { JobOptions } from './jobs.js';
import { workerMain } from './worker.js';

await workerMain(JSON.parse(process.argv[2] ?? '') as JobOptions);
process.exit(0);
