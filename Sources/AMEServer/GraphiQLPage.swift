/// The page a browser gets at `GET /graphql`: GraphiQL from its CDN, pinned; when the CDN cannot
/// be reached (offline, blocked), a console of its own with no external resources: query,
/// variables, headers, run, result, and the schema's documentation read by introspection (types
/// and fields in the SDL's order, with their descriptions).
///
/// The console also runs a query given in the address's fragment
/// (`/graphql#query=%7Bping%7D&run`), which is how `scripts/console-check.sh` checks it in
/// headless Chromium.
enum GraphiQLPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>AME GraphQL</title>
          <link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css">
          <style>
            #console { display: none; font: 14px system-ui, sans-serif; padding: 12px; gap: 12px;
              grid-template-columns: 1fr 1fr; height: calc(100vh - 24px); box-sizing: border-box; }
            #console textarea, #console pre { width: 100%; box-sizing: border-box; font: 13px ui-monospace, monospace;
              border: 1px solid #ccc; border-radius: 4px; padding: 8px; margin: 0; }
            #console pre { height: 100%; overflow: auto; background: #f7f7f7; white-space: pre-wrap; }
            #console label { display: block; margin: 8px 0 4px; font-weight: 600; }
            #console button { margin-top: 8px; padding: 6px 16px; font-size: 14px; }
            #docs { grid-column: 1 / span 2; font: 13px ui-monospace, monospace; }
            #docs h3 { font: 600 14px system-ui, sans-serif; margin: 12px 0 2px; }
            #docs p { margin: 0 0 4px; color: #555; font-family: system-ui, sans-serif; }
          </style>
        </head>
        <body style="margin:0">
          <div id="graphiql" style="height:100vh">Loading GraphiQL…</div>
          <div id="console">
            <div>
              <strong>AME GraphQL console</strong> <small>(GraphiQL could not be loaded from its CDN)</small>
              <label for="query">Query</label>
              <textarea id="query" rows="14">{ ping }</textarea>
              <label for="variables">Variables (JSON)</label>
              <textarea id="variables" rows="4">{}</textarea>
              <label for="headers">Headers (JSON)</label>
              <textarea id="headers" rows="3"></textarea>
              <button id="run" type="button">Run (Ctrl+Enter)</button>
            </div>
            <div><label>Result</label><pre id="result"></pre></div>
            <div id="docs" data-status="loading"><label>Schema</label></div>
          </div>
          <script>
            const defaultHeaders = { "X-Endpoint-Id": localStorage.getItem("ame-endpoint-id") || "dev" };

            function startConsole() {
              if (document.getElementById("console").style.display === "grid") return;
              document.getElementById("graphiql").style.display = "none";
              document.getElementById("console").style.display = "grid";
              document.getElementById("headers").value = JSON.stringify(defaultHeaders);
              const fragment = new URLSearchParams(location.hash.slice(1));
              if (fragment.has("query")) document.getElementById("query").value = fragment.get("query");
              if (fragment.has("variables")) document.getElementById("variables").value = fragment.get("variables");
              document.getElementById("run").onclick = run;
              document.addEventListener("keydown", (event) => {
                if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) run();
              });
              loadDocs();
              if (fragment.has("run")) run();
            }

            // The schema's documentation, by introspection: every type with its description and fields.
            const docsQuery = "{ __schema { types { name kind description fields { name description " +
              "args { name type { ...Ref } } type { ...Ref } } inputFields { name type { ...Ref } } enumValues { name } } } } " +
              "fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";
            function typeName(ref) {
              if (ref.kind === "NON_NULL") return typeName(ref.ofType) + "!";
              if (ref.kind === "LIST") return "[" + typeName(ref.ofType) + "]";
              return ref.name;
            }
            async function loadDocs() {
              const docs = document.getElementById("docs");
              try {
                const headers = JSON.parse(document.getElementById("headers").value || "{}");
                const response = await fetch("/graphql", {
                  method: "POST",
                  headers: Object.assign({ "Content-Type": "application/json" }, headers),
                  body: JSON.stringify({ query: docsQuery })
                });
                const body = await response.json();
                for (const type of body.data.__schema.types) {
                  if (type.name.startsWith("__")) continue;
                  const section = document.createElement("section");
                  section.className = "doc-type";
                  const title = document.createElement("h3");
                  title.textContent = type.kind.toLowerCase().replace("_object", "") + " " + type.name;
                  section.appendChild(title);
                  if (type.description) {
                    const text = document.createElement("p");
                    text.textContent = type.description;
                    section.appendChild(text);
                  }
                  for (const field of type.fields || type.inputFields || []) {
                    const line = document.createElement("div");
                    line.className = "doc-field";
                    const args = (field.args || []).map((arg) => arg.name + ": " + typeName(arg.type)).join(", ");
                    line.textContent = field.name + (args ? "(" + args + ")" : "") + ": " + typeName(field.type);
                    if (field.description) line.title = field.description;
                    section.appendChild(line);
                  }
                  for (const value of type.enumValues || []) {
                    const line = document.createElement("div");
                    line.className = "doc-field";
                    line.textContent = value.name;
                    section.appendChild(line);
                  }
                  docs.appendChild(section);
                }
                docs.dataset.status = "loaded";
              } catch (error) {
                docs.dataset.status = "failed";
                docs.appendChild(document.createTextNode("The schema could not be read: " + error.message));
              }
            }

            async function run() {
              const result = document.getElementById("result");
              let variables, headers;
              try {
                variables = JSON.parse(document.getElementById("variables").value || "{}");
                headers = JSON.parse(document.getElementById("headers").value || "{}");
              } catch (error) {
                result.textContent = "Variables and headers must be JSON: " + error.message;
                return;
              }
              result.textContent = "Running…";
              try {
                const response = await fetch("/graphql", {
                  method: "POST",
                  headers: Object.assign({ "Content-Type": "application/json" }, headers),
                  body: JSON.stringify({ query: document.getElementById("query").value, variables })
                });
                const text = await response.text();
                try {
                  result.textContent = JSON.stringify(JSON.parse(text), null, 2);
                } catch {
                  result.textContent = text;
                }
                result.dataset.status = String(response.status);
              } catch (error) {
                result.textContent = "The request failed: " + error.message;
              }
            }

            function startGraphiQL() {
              if (document.getElementById("console").style.display === "grid") return;
              if (typeof GraphiQL === "undefined" || typeof React === "undefined" || typeof ReactDOM === "undefined") {
                return startConsole();
              }
              const fetcher = GraphiQL.createFetcher({ url: "/graphql", headers: defaultHeaders });
              ReactDOM.createRoot(document.getElementById("graphiql"))
                .render(React.createElement(GraphiQL, { fetcher, defaultHeaders: JSON.stringify(defaultHeaders) }));
            }

            // Scripts from the CDN, in order; any failure (or no answer in 5 s) opens the console.
            const scripts = [
              "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
              "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
              "https://unpkg.com/graphiql@3.8.3/graphiql.min.js"
            ];
            const giveUp = setTimeout(startConsole, 5000);
            (function load(index) {
              if (index === scripts.length) { clearTimeout(giveUp); return startGraphiQL(); }
              const script = document.createElement("script");
              script.src = scripts[index];
              script.onload = () => load(index + 1);
              script.onerror = () => { clearTimeout(giveUp); startConsole(); };
              document.head.appendChild(script);
            })(0);
          </script>
        </body>
        </html>
        """
}
