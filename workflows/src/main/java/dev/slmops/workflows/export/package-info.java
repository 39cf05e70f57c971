/**
 * Hands a model to other runtimes ({@link dev.slmops.workflows.export.ModelExport}): GGUF, a Hugging Face
 * directory, Ollama (GGUF + Modelfile whose Go template is {@link dev.slmops.workflows.export.ChatFamily}'s
 * translation of the model's Jinja chat template) and Foundry Local ({@code inference_model.json}; the ONNX Runtime
 * files it runs are not produced here).
 */
package dev.slmops.workflows.export;
