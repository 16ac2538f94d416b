import { threadGroups } from './inference-client';

describe('inference threads', () => {
  it('gives each model a thread of its own on CPU, and one thread to both on a GPU', () => {
    expect(threadGroups('cpu', ['semantic', 'domain'])).toEqual([['semantic'], ['domain']]);
    // Two WebGPU sessions running in two threads fail or crash the process: both models share one thread.
    expect(threadGroups('webgpu', ['semantic', 'domain'])).toEqual([['semantic', 'domain']]);
    expect(threadGroups('cuda', ['semantic', 'domain'])).toEqual([['semantic', 'domain']]);
  });
});
