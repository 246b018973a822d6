package org.memsfl.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.memsfl.util.BadInputException;

/**
 * Startup checks of the server's TLS files, so that a wrong file is one clear line before the model loads rather
 * than a handshake failure on every device later: the chain parses, its first certificate is within its validity
 * period, the key is PKCS#8 PEM, and the key belongs to the certificate (a signature made with the key verifies
 * under the certificate's public key, which works for RSA, EC and EdDSA alike).
 */
final class TlsFiles {

    private static final String PKCS8 = "-----BEGIN PRIVATE KEY-----";

    private TlsFiles() {
    }

    /** @throws BadInputException naming the file and what is wrong */
    static void check(Path certChain, Path keyFile, Instant now) {
        X509Certificate leaf = leaf(certChain);
        try {
            leaf.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw new BadInputException("certificate " + certChain + " expired on " + leaf.getNotAfter().toInstant()
                    + " (now " + now + "); issue a new one");
        } catch (CertificateNotYetValidException e) {
            throw new BadInputException("certificate " + certChain + " is not valid before "
                    + leaf.getNotBefore().toInstant() + " (now " + now + "); check the clock or the certificate");
        }
        PrivateKey key = key(keyFile, leaf.getPublicKey().getAlgorithm());
        if (!signsFor(key, leaf)) {
            throw new BadInputException("private key " + keyFile + " does not belong to certificate " + certChain
                    + " (" + leaf.getSubjectX500Principal().getName() + "): a signature made with the key does not"
                    + " verify under the certificate's public key");
        }
    }

    private static X509Certificate leaf(Path certChain) {
        List<X509Certificate> chain = new ArrayList<>();
        try (InputStream in = Files.newInputStream(certChain)) {
            CertificateFactory.getInstance("X.509").generateCertificates(in)
                    .forEach(c -> chain.add((X509Certificate) c));
        } catch (IOException | GeneralSecurityException e) {
            throw new BadInputException("cannot read certificate chain " + certChain + ": " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new BadInputException("certificate chain " + certChain + " holds no PEM certificate");
        }
        return chain.get(0);
    }

    private static PrivateKey key(Path keyFile, String algorithm) {
        String pem;
        try {
            pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new BadInputException("cannot read private key " + keyFile + ": " + e.getMessage(), e);
        }
        int from = pem.indexOf(PKCS8);
        int to = pem.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < from) {
            throw new BadInputException("private key " + keyFile + " is not a PKCS#8 PEM key ('" + PKCS8 + "'); convert"
                    + " it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + PKCS8.length(), to));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new BadInputException("private key " + keyFile + " is not a " + algorithm + " PKCS#8 key matching"
                    + " the certificate: " + e.getMessage(), e);
        }
    }

    private static boolean signsFor(PrivateKey key, X509Certificate cert) {
        String alg = switch (cert.getPublicKey().getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> throw new BadInputException("certificate key algorithm " + cert.getPublicKey().getAlgorithm()
                    + " is not supported; use RSA, EC or Ed25519");
        };
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
