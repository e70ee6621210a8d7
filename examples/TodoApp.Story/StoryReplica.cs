using System.Globalization;
using SqlSync.Documents;
using SqlSync.Mutations;
using SqlSync.Transport;

namespace TodoApp.Story;

/// <summary>
/// One user's app in the story: a local replica of the list (its journals stay on disk across app upgrades) and,
/// while online, a sync client. Counts what the user wrote and what the server rejected, so nothing is lost unseen.
/// </summary>
internal sealed class StoryReplica : IAsyncDisposable
{
    /// <summary>The list as version 2 sees it (schema 2).</summary>
    public const string RowsQuery = "SELECT title, done, due, priority FROM todos ORDER BY position, id";

    /// <summary>The list of a document not migrated yet (schema 0: version 1 had no due dates nor priorities).</summary>
    private const string Version1RowsQuery = "SELECT title, done, NULL, NULL FROM todos ORDER BY position, id";

    private readonly string _directory;
    private LocalDocument _document;
    private SqlSyncClient? _client;

    private StoryReplica(string name, string directory, string documentId, IMutationReducer reducer, int appVersion)
    {
        Name = name;
        _directory = directory;
        DocumentId = documentId;
        AppVersion = appVersion;
        _document = Open(reducer);
    }

    public string Name { get; }

    public string DocumentId { get; }

    /// <summary>The app's version: 1 or 2.</summary>
    public int AppVersion { get; private set; }

    public LocalDocument Document => _document;

    public int Written { get; private set; }

    public int Rejected { get; private set; }

    public bool IsOnline => _client is not null;

    public static StoryReplica Open(string root, string name, string documentId, IMutationReducer reducer, int appVersion) =>
        new(name, Path.Combine(root, name), documentId, reducer, appVersion);

    /// <summary>The user does something: one mutation, applied locally at once, uploaded when online.</summary>
    public void Write(IMutation mutation)
    {
        _document.Mutate(mutation);
        Written++;
    }

    public void Connect(Uri serverUri)
    {
        _client = new SqlSyncClient(new SqlSyncClientOptions { ServerUri = serverUri, ClientName = Name });
        _client.Add(_document);
        _client.Start();
    }

    public async Task DisconnectAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
            _client = null;
        }
    }

    /// <summary>The user installs another version of the app: the same journals, that version's mutation set.</summary>
    public async Task UpgradeAsync(IMutationReducer reducer, int appVersion)
    {
        await DisconnectAsync();
        _document.Dispose();
        _document = Open(reducer);
        AppVersion = appVersion;
    }

    /// <summary>The rows of <see cref="RowsQuery"/>, one line each.</summary>
    public string Rows() => Render(_document.Query(_document.SchemaVersion >= 2 ? RowsQuery : Version1RowsQuery));

    public static string Render(IReadOnlyList<object?[]> rows) => rows.Count == 0
        ? "    (no todos)\n"
        : string.Concat(rows.Select((row, index) => string.Create(CultureInfo.InvariantCulture,
            $"    {index + 1,2}. [{((long)row[1]! == 1 ? 'x' : ' ')}] {((string)row[0]! + Extras(row)).TrimEnd()}\n")));

    private static string Extras(object?[] row) => row[3] is long priority
        ? string.Create(CultureInfo.InvariantCulture, $"{new string(' ', Math.Max(1, 17 - ((string)row[0]!).Length))}due {(row[2] as string) ?? "-",-10}  priority {priority}")
        : "";

    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        _document.Dispose();
    }

    private LocalDocument Open(IMutationReducer reducer)
    {
        LocalDocument document = LocalDocument.Open(new LocalDocumentOptions
        {
            DocumentId = DocumentId,
            Reducer = reducer,
            Directory = _directory,
        });
        document.MutationRejected += (_, _) => Rejected++;
        return document;
    }
}
