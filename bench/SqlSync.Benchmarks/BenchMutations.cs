using SqlSync.Mutations;

namespace SqlSync.Benchmarks;

/// <summary>
/// Hand-written mutation records and reducer for the benchmarks (no source generator): one table with an
/// INTEGER PRIMARY KEY and a TEXT column, and a single-row INSERT into it — the same SQL the raw SQLite
/// baselines run.
/// </summary>
internal static class BenchMutations
{
    public const uint CreateTableTag = 1, InsertRowTag = 2, RunawayTag = 3, FillRowsTag = 4;

    public const string CreateTableSql = "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)";
    public const string InsertSql = "INSERT INTO t(id, v) VALUES(?1, ?2)";

    /// <summary>The TEXT value every benchmark row carries (16 ASCII bytes).</summary>
    public const string RowText = "sqlsync-bench-16";

    public static IMutationReducer Reducer { get; } = new BenchReducer();

    public sealed record CreateTable : IMutation
    {
        public uint Tag => CreateTableTag;

        public void WriteTo(MutationWriter writer) => writer.WriteTag(Tag);
    }

    public sealed record InsertRow(long Id, string Value) : IMutation
    {
        public uint Tag => InsertRowTag;

        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
            writer.WriteString(Value);
        }
    }

    /// <summary>A recursive CTE counting to 10^18: only the step budget stops it.</summary>
    public sealed record Runaway : IMutation
    {
        public uint Tag => RunawayTag;

        public void WriteTo(MutationWriter writer) => writer.WriteTag(Tag);
    }

    /// <summary><paramref name="Count"/> rows from id <paramref name="FirstId"/>, each a TEXT of 2·<paramref name="HalfBytes"/> hex digits of (seeded) random bytes.</summary>
    public sealed record FillRows(long FirstId, int Count, int HalfBytes) : IMutation
    {
        public uint Tag => FillRowsTag;

        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(FirstId);
            writer.WriteInt32(Count);
            writer.WriteInt32(HalfBytes);
        }
    }

    /// <summary>Encodes a record without a document (for feeding a coordinator directly).</summary>
    public static byte[] Encode(IMutation mutation)
    {
        var writer = new MutationWriter();
        mutation.WriteTo(writer);
        return writer.ToArray();
    }

    private sealed class BenchReducer : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            uint tag = reader.ReadTag();
            switch (tag)
            {
                case CreateTableTag:
                    context.Execute(CreateTableSql);
                    break;
                case InsertRowTag:
                {
                    long id = reader.ReadInt64();
                    string value = reader.ReadString();
                    context.Execute(InsertSql, id, value);
                    break;
                }
                case FillRowsTag:
                {
                    long first = reader.ReadInt64();
                    int count = reader.ReadInt32(), half = reader.ReadInt32();
                    context.Execute("WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < ?2 - 1) INSERT INTO t(id, v) SELECT ?1 + x, hex(randomblob(?3)) FROM c",
                        first, count, half);
                    break;
                }
                case RunawayTag:
                    context.QueryScalar<long>("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000000000) SELECT count(*) FROM c");
                    break;
                default:
                    throw new SqlSyncException(SqlSyncErrorCode.UnknownMutationTag, $"Unknown benchmark mutation tag {tag}.");
            }

            reader.EnsureAtEnd();
        }
    }
}
