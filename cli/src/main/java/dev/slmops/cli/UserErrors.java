package dev.slmops.cli;

import picocli.CommandLine;

/**
 * Turns exceptions that describe bad input (a bad file, a bad argument) into one clear line on stderr and
 * exit code 2, instead of a stack trace. Anything else is a bug: it keeps its stack trace (exit 1).
 * Set SLMOPS_DEBUG=1 to see stack traces for user errors too.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
        boolean userError = ex instanceof IllegalArgumentException
                || ex instanceof java.io.IOException
                || ex instanceof java.io.UncheckedIOException
                || ex instanceof IllegalStateException;
        if (!userError || System.getenv("SLMOPS_DEBUG") != null) {
            ex.printStackTrace(cmd.getErr());
            if (!userError) return 1;
        }
        String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        cmd.getErr().println(cmd.getColorScheme().errorText("error: " + message));
        return 2;
    }
}
