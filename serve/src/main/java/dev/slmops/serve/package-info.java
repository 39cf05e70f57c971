/**
 * `slmops serve`: the OpenAI-compatible HTTP server.
 *
 * <ul>
 *   <li>{@link dev.slmops.serve.OpenAiServer} wires Javalin (Jetty 12, virtual threads) to the endpoints, the API
 *       key check, body limits and error mapping; {@link dev.slmops.serve.ServeOptions} says how it runs;
 *       {@link dev.slmops.serve.ServerMetrics} is GET /metrics (Micrometer, Prometheus format).</li>
 *   <li>{@code api}: requests read and checked ({@code GenerationRequest}, {@code ChatMessages}, {@code Fields}),
 *       responses and SSE streams in OpenAI's shapes ({@code Generations}), errors ({@code ApiError}),
 *       response_format ({@code ResponseFormats}).</li>
 *   <li>{@code scheduler}: continuous batching, one decode thread per model ({@code Scheduler}), the state of one
 *       generated sequence ({@code Sequence}), its events ({@code SequenceEvents}), KV cache reuse.</li>
 *   <li>{@code models}: which models exist and which are loaded ({@code ModelManager}, {@code ServedModel}),
 *       the model cache's aliases and pulled models ({@code CachedModels}).</li>
 * </ul>
 */
package dev.slmops.serve;
