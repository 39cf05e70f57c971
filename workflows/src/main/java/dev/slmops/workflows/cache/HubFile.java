package dev.slmops.workflows.cache;

/**
 * One file of a hub repository as its listing describes it.
 *
 * @param path    path inside the repository
 * @param size    bytes, or -1 when the listing does not say
 * @param sha256  the LFS object id (hex SHA-256 of the content) for large files, else null
 * @param gitSha1 the git blob id (SHA-1 of "blob SIZE\0" + content) for files stored in git, else null
 */
public record HubFile(String path, long size, String sha256, String gitSha1) {
}
