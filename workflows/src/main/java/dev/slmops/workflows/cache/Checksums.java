package dev.slmops.workflows.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The two digests the hub publishes: SHA-256 of LFS objects, git's blob SHA-1 of small files. */
final class Checksums {
    private Checksums() {
    }

    static String sha256(Path file) throws IOException {
        return hex(digest("SHA-256", null, file));
    }

    /** git hash-object: SHA-1 over "blob <size>\0" followed by the content. */
    static String gitBlobSha1(Path file) throws IOException {
        byte[] header = ("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII);
        return hex(digest("SHA-1", header, file));
    }

    /** Checks a downloaded file against what the listing promised; returns null when it matches, else why not. */
    static String mismatch(HubFile f, Path file) throws IOException {
        long size = Files.size(file);
        if (f.size() >= 0 && size != f.size()) return "size " + size + " bytes, expected " + f.size();
        if (f.sha256() != null) {
            String got = sha256(file);
            if (!got.equalsIgnoreCase(f.sha256())) return "SHA-256 " + got + ", expected " + f.sha256();
        } else if (f.gitSha1() != null) {
            String got = gitBlobSha1(file);
            if (!got.equalsIgnoreCase(f.gitSha1())) return "git blob SHA-1 " + got + ", expected " + f.gitSha1();
        }
        return null;
    }

    private static byte[] digest(String algorithm, byte[] prefix, Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
        if (prefix != null) md.update(prefix);
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return md.digest();
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
