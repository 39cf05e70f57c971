/** The low-latency worker pool every multi-threaded kernel runs on; one explicit instance per engine. */
package dev.slmops.tensor.parallel;
