/// The page a browser gets at `GET /graphql`: GraphiQL from its CDN, pinned.
enum GraphiQLPage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>AME GraphiQL</title>
          <link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.3/graphiql.min.css">
        </head>
        <body style="margin:0">
          <div id="graphiql" style="height:100vh">Loading GraphiQL…</div>
          <script src="https://unpkg.com/react@18.3.1/umd/react.production.min.js"></script>
          <script src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js"></script>
          <script src="https://unpkg.com/graphiql@3.8.3/graphiql.min.js"></script>
          <script>
            const headers = { "X-Endpoint-Id": localStorage.getItem("ame-endpoint-id") || "dev" };
            const fetcher = GraphiQL.createFetcher({ url: "/graphql", headers });
            ReactDOM.createRoot(document.getElementById("graphiql"))
              .render(React.createElement(GraphiQL, { fetcher, defaultHeaders: JSON.stringify(headers) }));
          </script>
        </body>
        </html>
        """
}
