using SqlSync.Mutations;

namespace SqlSync.Runtime.Tests.Replication;

/// <summary>Hand-written mutations that make large journal entries: a step that writes many MiB, a record that carries many MiB.</summary>
internal static class BulkMutations
{
    private const uint FillBlobsTag = 1, KeepLengthTag = 2, NoteTag = 3;

    public static IMutationReducer Reducer { get; } = new BulkReducer();

    /// <summary>A record of a few bytes whose reducer writes <paramref name="rows"/> random blobs of <paramref name="bytes"/> each (randomblob is deterministic in reducers).</summary>
    public static byte[] FillBlobs(int rows, int bytes)
    {
        var writer = new MutationWriter();
        writer.WriteTag(FillBlobsTag);
        writer.WriteInt32(rows);
        writer.WriteInt32(bytes);
        return writer.ToArray();
    }

    /// <summary>A record that carries <paramref name="payload"/>; the reducer keeps only its length.</summary>
    public static byte[] KeepLength(string name, byte[] payload)
    {
        var writer = new MutationWriter(payload.Length + 64);
        writer.WriteTag(KeepLengthTag);
        writer.WriteString(name);
        writer.WriteBytes(payload.AsSpan());
        return writer.ToArray();
    }

    /// <summary>A small record: sets note <paramref name="name"/> to <paramref name="value"/>.</summary>
    public static byte[] Note(string name, long value)
    {
        var writer = new MutationWriter();
        writer.WriteTag(NoteTag);
        writer.WriteString(name);
        writer.WriteInt64(value);
        return writer.ToArray();
    }

    private sealed class BulkReducer : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            uint tag = reader.ReadTag();
            context.Execute("CREATE TABLE IF NOT EXISTS blobs(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
            context.Execute("CREATE TABLE IF NOT EXISTS notes(name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
            switch (tag)
            {
                case FillBlobsTag:
                {
                    int rows = reader.ReadInt32();
                    int bytes = reader.ReadInt32();
                    context.Execute(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) INSERT INTO blobs(payload) SELECT randomblob(?2) FROM n",
                        rows, bytes);
                    break;
                }

                case KeepLengthTag:
                {
                    string name = reader.ReadString();
                    byte[] payload = reader.ReadBytes();
                    context.Execute("INSERT OR REPLACE INTO notes(name, value) VALUES(?1, length(?2))", name, payload);
                    break;
                }

                case NoteTag:
                    context.Execute("INSERT OR REPLACE INTO notes(name, value) VALUES(?1, ?2)", reader.ReadString(), reader.ReadInt64());
                    break;

                default:
                    throw new SqlSyncException(SqlSyncErrorCode.UnknownMutationTag, $"Unknown mutation tag {tag} for BulkMutations.");
            }

            reader.EnsureAtEnd();
        }
    }
}
