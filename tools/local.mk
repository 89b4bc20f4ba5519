# Developer tools: the pipeline generator and the benchmark.
