package org.memsfl.hub;

import java.util.regex.Pattern;
import org.memsfl.util.BadInputException;

/**
 * A model repository on the Hugging Face Hub and the revision asked for: {@code org/name} or {@code org/name@revision}
 * (a branch, a tag or a 40-hex commit; {@code main} when left out).
 *
 * <p>Naming rules (those the Hub enforces on repository ids, huggingface_hub {@code validate_repo_id}): each of the
 * two parts is 1 to 96 characters of letters, digits, {@code -}, {@code _} and {@code .}; it neither starts nor ends
 * with {@code -} or {@code .}, and holds neither {@code --} nor {@code ..}. A revision has no whitespace and no
 * {@code ..}. Single-part names ({@code gpt2}) are legacy Hub names; memsfl asks for the {@code org/} part so that
 * a typo of a local path or a known name is not sent to the network.
 *
 * @param id       {@code org/name}
 * @param revision branch, tag or commit hash
 */
public record HubRepo(String id, String revision) {

    /** Revision used when the spec names none (the Hub's default branch for new repositories). */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SPEC_SHAPE = Pattern.compile("[^/@\\s]+/[^/@\\s]+(@\\S+)?");

    public HubRepo {
        if (id == null || !validId(id)) {
            throw new BadInputException("Hub repository '" + id + "' is not a valid name; expected org/name with letters,"
                    + " digits, '-', '_', '.' (no '--' or '..', not starting or ending with '-' or '.', at most 96 each)");
        }
        if (revision == null || revision.isBlank() || revision.contains("..") || revision.chars().anyMatch(
                Character::isWhitespace)) {
            throw new BadInputException("Hub revision '" + revision + "' of " + id + " is not valid; expected a branch,"
                    + " tag or commit hash without whitespace or '..'");
        }
    }

    /**
     * True when {@code spec} has the shape {@code a/b} or {@code a/b@rev} (one slash, no whitespace): the caller then
     * treats it as a Hub name, and {@link #parse} says precisely what is wrong with it if anything is.
     */
    public static boolean looksLikeRepo(String spec) {
        return spec != null && SPEC_SHAPE.matcher(spec).matches();
    }

    /** Parses {@code org/name[@revision]}. */
    public static HubRepo parse(String spec) {
        if (spec == null) {
            throw new BadInputException("Hub model name is missing; expected org/name[@revision]");
        }
        int at = spec.indexOf('@');
        return at < 0 ? new HubRepo(spec, DEFAULT_REVISION) : new HubRepo(spec.substring(0, at), spec.substring(at + 1));
    }

    /** True when the revision is a full commit hash, which never moves (no ref file is needed for it). */
    public boolean revisionIsCommit() {
        return COMMIT.matcher(revision).matches();
    }

    /** True for a 40-hex commit hash. */
    public static boolean isCommit(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    /** The cache folder name: {@code models--org--name}. */
    public String folderName() {
        return "models--" + id.replace("/", "--");
    }

    @Override
    public String toString() {
        return id + "@" + revision;
    }

    private static boolean validId(String id) {
        int slash = id.indexOf('/');
        if (slash < 0 || slash != id.lastIndexOf('/')) {
            return false;
        }
        return validPart(id.substring(0, slash)) && validPart(id.substring(slash + 1));
    }

    private static boolean validPart(String p) {
        return PART.matcher(p).matches() && !p.contains("--") && !p.contains("..");
    }
}
