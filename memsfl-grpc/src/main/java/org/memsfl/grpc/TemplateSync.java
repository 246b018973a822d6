package org.memsfl.grpc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.memsfl.chat.ChatTemplate;
import org.memsfl.chat.TemplateChoice;
import org.memsfl.util.BadInputException;

/**
 * One prompt format across a deployment: the server sends its template choice and the sha256 of the chat template
 * source it renders with; each device resolves the same choice against its own copy of the model (or its own
 * choice, which must agree) and refuses to train when its template differs, since examples rendered differently
 * would train the adapters on another format than the server evaluates.
 */
final class TemplateSync {

    private TemplateSync() {
    }

    /** Hex sha256 of the template's source, or "" for the plain templates (null). */
    static String sha256(ChatTemplate t) {
        if (t == null) {
            return "";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(t.source().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * The device's chat template (null: plain) for the server's terms.
     *
     * @param own   the device's template choice, or null to follow the server's
     * @param names how the device's user names {@link Setting#TEMPLATE}
     * @throws BadInputException when the device's template is not the server's
     */
    static ChatTemplate resolve(TrainingTerms a, String own, Setting.Names names) {
        String flag = names.of(Setting.TEMPLATE);
        String choice = own != null ? own : a.template().isEmpty() ? TemplateChoice.AUTO : a.template();
        Optional<ChatTemplate> t = new TemplateChoice(choice).resolveFor(a.modelSpec(), a.modelId());
        String sha = sha256(t.orElse(null));
        if (!sha.equals(a.templateSha256())) {
            throw new BadInputException(flag + " " + choice + " gives this device " + describe(t.orElse(null), sha)
                    + ", but the server renders with " + (a.templateSha256().isEmpty() ? "the plain templates"
                    : "chat template sha256 " + a.templateSha256().substring(0, 12)) + " (server " + flag + " "
                    + a.template() + "); give both the same " + flag + " and the same model files");
        }
        return t.orElse(null);
    }

    private static String describe(ChatTemplate t, String sha) {
        return t == null ? "the plain templates" : "chat template " + t.name() + " (sha256 " + sha.substring(0, 12) + ")";
    }
}
