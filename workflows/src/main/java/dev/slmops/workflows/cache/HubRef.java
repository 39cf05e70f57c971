package dev.slmops.workflows.cache;

import java.util.regex.Pattern;

/**
 * A model on the hub as users write it: {@code org/name}, optionally one file ({@code org/name:file.gguf}) and a
 * revision ({@code org/name@v1.0} or {@code org/name:file.gguf@main}); the revision defaults to {@code main}.
 */
public record HubRef(String repo, String file, String revision) {
    private static final Pattern REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");

    public HubRef {
        if (!REPO.matcher(repo).matches() || repo.contains("..")) {
            throw new IllegalArgumentException("'" + repo + "' is not a hub repository id: expected owner/name, e.g. HuggingFaceTB/SmolLM2-135M");
        }
        if (file != null && (file.isEmpty() || file.startsWith("/") || file.contains("\\") || file.contains("..")
                || file.contains("//"))) {
            throw new IllegalArgumentException("'" + file + "' is not a file inside a repository: give a relative path such as model-q4_0.gguf");
        }
        if (!REVISION.matcher(revision).matches() || revision.contains("..")) {
            throw new IllegalArgumentException("'" + revision + "' is not a revision: give a branch, tag or commit");
        }
    }

    /** True when the text has the shape of a hub id (owner/name...) rather than a local path. */
    public static boolean looksLikeHubId(String text) {
        String repoPart = text.split("[:@]", 2)[0];
        return REPO.matcher(repoPart).matches() && !text.startsWith(".") && !text.startsWith("/");
    }

    public static HubRef parse(String text) {
        String rest = text.strip();
        String revision = "main";
        int at = rest.lastIndexOf('@');
        if (at > 0) {
            revision = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        String file = null;
        int colon = rest.indexOf(':');
        if (colon > 0) {
            file = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        return new HubRef(rest, file, revision);
    }

    /** The cache folder name of the repository: owner--name. */
    public String folderName() {
        return repo.replace("/", "--");
    }

    @Override
    public String toString() {
        return repo + (file == null ? "" : ":" + file) + ("main".equals(revision) ? "" : "@" + revision);
    }
}
