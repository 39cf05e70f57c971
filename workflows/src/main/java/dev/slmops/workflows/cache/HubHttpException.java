package dev.slmops.workflows.cache;

import java.io.IOException;

/** The hub answered with an HTTP error (not found, refused, rate-limited): retrying the same request will not help. */
public final class HubHttpException extends IOException {
    private final int status;

    HubHttpException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
