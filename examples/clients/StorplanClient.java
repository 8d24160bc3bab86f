// A storplan served-API client in Java with the JDK only (java.net.http, JDK 11 or later).
//
//   javac -d out StorplanClient.java && \
//   STORPLAN_URL=https://127.0.0.1:8443 STORPLAN_TOKEN=stp_... STORPLAN_CA=ca.pem \
//   STORPLAN_ARRAY=array1 java -cp out StorplanClient
//
// Creates a volume and a host, maps the volume, waits for each job, lists, plans and applies
// a manifest, then deletes what it made. The JDK has no JSON library: Json below is a small
// reader and writer for what the API sends (objects, arrays, strings, numbers, booleans, null).

import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public final class StorplanClient {
    private final HttpClient http;
    private final String url;
    private final String token;
    private final String array;

    private StorplanClient(String url, String token, String ca, String array) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream pem = new FileInputStream(ca)) {
            trust.setCertificateEntry("storplan-ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, factory.getTrustManagers(), null);
        this.http = HttpClient.newBuilder().sslContext(tls).build();
        this.url = url;
        this.token = token;
        this.array = array;
    }

    /** The decoded body and the Location header of one request; an error status throws. */
    private Object[] call(String method, String path, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Json.write(body)));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        Object data = response.body().isEmpty() ? null : Json.read(response.body());
        if (response.statusCode() >= 300) {
            Map<?, ?> problem = (Map<?, ?>) data;
            throw new IllegalStateException(method + " " + path + ": " + response.statusCode() + " "
                    + (problem == null ? "" : problem.get("code") + ": " + problem.get("detail")));
        }
        return new Object[] {data, response.headers().firstValue("location").orElse(null)};
    }

    private Map<?, ?> get(String path) throws Exception {
        return (Map<?, ?>) call("GET", path, null)[0];
    }

    /** Poll a job (or an apply job) until it is no longer running. */
    private Map<?, ?> waitFor(String location) throws Exception {
        for (int i = 0; i < 1200; i++) {
            Map<?, ?> job = get(location);
            if (!"running".equals(job.get("state"))) {
                return job;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(location + " still running");
    }

    private Map<?, ?> operation(String name, Map<String, Object> params, String consent) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("params", params);
        if (consent != null) {
            body.put(consent, true);
        }
        Object[] answer = call("POST", "/arrays/" + array + "/operations/" + name, body);
        Map<?, ?> done = waitFor((String) answer[1]);
        if (!"succeeded".equals(done.get("state"))) {
            throw new IllegalStateException(name + ": " + done.get("state"));
        }
        return done;
    }

    private static Map<String, Object> map(Object... pairs) {
        Map<String, Object> result = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            result.put((String) pairs[i], pairs[i + 1]);
        }
        return result;
    }

    private void run() throws Exception {
        Map<?, ?> volume = operation("create_volume",
                map("volume", "java-vol", "pool", "ssd", "size", 1L << 30, "thin", true), null);
        System.out.println("created volume " + ((Map<?, ?>) volume.get("result")).get("id"));
        operation("create_access_group",
                map("host", "java-host", "initiators", List.of("iqn.2024-01.com.example:java")), null);
        Map<?, ?> mapped = operation("map_volume", map("volume", "java-vol", "host", "java-host", "lun", null), null);
        System.out.println("mapped at LUN " + ((Map<?, ?>) mapped.get("result")).get("lun"));
        List<?> volumes = (List<?>) call("GET", "/arrays/" + array + "/volumes", null)[0];
        if (volumes.stream().noneMatch(v -> "java-vol".equals(((Map<?, ?>) v).get("name")))) {
            throw new IllegalStateException("java-vol not listed");
        }
        System.out.println(volumes.size() + " volumes");

        String manifest = String.join("\n",
                "apiVersion: storplan.io/v1",
                "kind: StorageState",
                "metadata: {name: java-client}",
                "arrays:",
                "  - name: " + array,
                "    provider: sim://",
                "    system: sim-array-1",
                "    pools: [{name: ssd}]",
                "    volumes:",
                "      - {name: java-planned, pool: ssd, size: 1GiB, thin: true}",
                "");
        Map<?, ?> plan = (Map<?, ?>) call("POST", "/plans", map("manifest", manifest))[0];
        System.out.println(((List<?>) plan.get("actions")).size() + " planned action(s)");
        Map<?, ?> applied = waitFor((String) call("POST", "/applies", map("plan", plan))[1]);
        Map<?, ?> report = (Map<?, ?>) applied.get("report");
        if (!"done".equals(applied.get("state")) || !Boolean.TRUE.equals(report.get("ok"))) {
            throw new IllegalStateException("apply: " + applied.get("state"));
        }
        System.out.println("applied " + report.get("apply_id"));

        operation("unmap_volume", map("volume", "java-vol", "host", "java-host"), "allow_disruptive");
        operation("delete_volume", map("volume", "java-vol"), "allow_destroy");
        operation("delete_volume", map("volume", "java-planned"), "allow_destroy");
        operation("delete_access_group", map("host", "java-host"), "allow_destroy");
        System.out.println("ok");
    }

    public static void main(String[] args) throws Exception {
        String[] names = {"STORPLAN_URL", "STORPLAN_TOKEN", "STORPLAN_CA", "STORPLAN_ARRAY"};
        String[] values = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            values[i] = System.getenv(names[i]);
            if (values[i] == null) {
                System.err.println("set " + names[i]);
                System.exit(2);
            }
        }
        new StorplanClient(values[0], values[1], values[2], values[3]).run();
    }

    /** Just enough JSON: maps, lists, strings, longs, doubles, booleans and null. */
    static final class Json {
        private final String text;
        private int at;

        private Json(String text) {
            this.text = text;
        }

        static Object read(String text) {
            Json json = new Json(text);
            Object value = json.value();
            json.space();
            if (json.at != text.length()) {
                throw new IllegalArgumentException("trailing characters at " + json.at);
            }
            return value;
        }

        static String write(Object value) {
            StringBuilder out = new StringBuilder();
            write(value, out);
            return out.toString();
        }

        private static void write(Object value, StringBuilder out) {
            if (value == null || value instanceof Boolean || value instanceof Number) {
                out.append(value);
            } else if (value instanceof Map<?, ?> map) {
                out.append('{');
                String comma = "";
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    out.append(comma);
                    write(String.valueOf(entry.getKey()), out);
                    out.append(':');
                    write(entry.getValue(), out);
                    comma = ",";
                }
                out.append('}');
            } else if (value instanceof List<?> list) {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    out.append(i == 0 ? "" : ",");
                    write(list.get(i), out);
                }
                out.append(']');
            } else {
                out.append('"');
                for (char c : value.toString().toCharArray()) {
                    if (c == '"' || c == '\\') {
                        out.append('\\').append(c);
                    } else if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
                out.append('"');
            }
        }

        private void space() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private Object value() {
            space();
            char c = text.charAt(at);
            if (c == '{') {
                Map<String, Object> map = new LinkedHashMap<>();
                at++;
                space();
                if (text.charAt(at) == '}') {
                    at++;
                    return map;
                }
                while (true) {
                    space();
                    String key = string();
                    space();
                    expect(':');
                    map.put(key, value());
                    space();
                    if (text.charAt(at++) == '}') {
                        return map;
                    }
                }
            }
            if (c == '[') {
                List<Object> list = new ArrayList<>();
                at++;
                space();
                if (text.charAt(at) == ']') {
                    at++;
                    return list;
                }
                while (true) {
                    list.add(value());
                    space();
                    if (text.charAt(at++) == ']') {
                        return list;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            for (String word : new String[] {"true", "false", "null"}) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String number = text.substring(start, at);
            return number.matches("-?\\d+") ? (Object) Long.valueOf(number) : (Object) Double.valueOf(number);
        }

        private void expect(char c) {
            if (text.charAt(at++) != c) {
                throw new IllegalArgumentException("expected " + c + " at " + (at - 1));
            }
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = text.charAt(at++);
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(e);
                }
            }
        }
    }
}
