package org.memsfl.grpc;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Throw-away PEM files for TLS tests: a CA and a server certificate for localhost / 127.0.0.1 signed by it. */
final class TestCerts {

    /** Paths of the generated files. */
    record Files3(Path ca, Path cert, Path key) {
    }

    private TestCerts() {
    }

    static Files3 generate(Path dir, String caName) throws Exception {
        Instant now = Instant.now();
        return generate(dir, caName, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    /** The same, with the server certificate (and the CA) valid from {@code notBefore} to {@code notAfter}. */
    static Files3 generate(Path dir, String caName, Instant notBefore, Instant notAfter) throws Exception {
        Files.createDirectories(dir);
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair caKeys = g.generateKeyPair();
        KeyPair serverKeys = g.generateKeyPair();
        X500Name caSubject = new X500Name("CN=" + caName);
        Instant now = Instant.now();
        Date from = Date.from(notBefore);
        Date to = Date.from(notAfter);
        JcaX509v3CertificateBuilder caBuilder = new JcaX509v3CertificateBuilder(caSubject, BigInteger.valueOf(now.toEpochMilli()),
                from, to, caSubject, caKeys.getPublic());
        caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        caBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate ca = new JcaX509CertificateConverter().getCertificate(
                caBuilder.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
        JcaX509v3CertificateBuilder sb = new JcaX509v3CertificateBuilder(caSubject, BigInteger.valueOf(now.toEpochMilli() + 1),
                from, to, new X500Name("CN=localhost"), serverKeys.getPublic());
        sb.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())}));
        sb.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        X509Certificate server = new JcaX509CertificateConverter().getCertificate(
                sb.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
        Files3 f = new Files3(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"));
        write(f.ca(), "CERTIFICATE", ca.getEncoded());
        write(f.cert(), "CERTIFICATE", server.getEncoded());
        write(f.key(), "PRIVATE KEY", serverKeys.getPrivate().getEncoded()); // PKCS#8
        return f;
    }

    private static void write(Path p, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        Files.writeString(p, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
    }
}
