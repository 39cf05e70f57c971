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
        cmd.getErr().println(cmd.getColorScheme().errorText("error: " + message(ex)));
        return 2;
    }

    /** The line to print: file-system exceptions carry only a path as their message, so say what happened to it. */
    static String message(Exception ex) {
        return switch (ex) {
            case java.nio.file.NoSuchFileException e -> "no such file or directory: " + e.getFile()
                    + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
            case java.nio.file.AccessDeniedException e -> "permission denied: " + e.getFile();
            case java.nio.file.FileAlreadyExistsException e -> e.getFile() + " already exists";
            case java.nio.file.NotDirectoryException e -> "not a directory: " + e.getFile();
            case java.nio.file.DirectoryNotEmptyException e -> "directory not empty: " + e.getFile();
            default -> ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        };
    }
}
