/** The OpenAI-compatible server: model manager, request scheduler (continuous batching), multi-LoRA, metrics. */
package dev.slmops.serve;
