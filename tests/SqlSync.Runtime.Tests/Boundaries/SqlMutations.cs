using SqlSync.Mutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>Mutations that run whatever SQL a test hands them, to probe the reducer sandbox and budgets.</summary>
internal static class SqlMutations
{
    public const uint RunTag = 1, CreateTag = 2, PillTag = 3;

    /// <summary>How <see cref="Run"/> ends after its SQL.</summary>
    public enum Ending
    {
        /// <summary>Returns normally.</summary>
        Return = 0,
        /// <summary>Throws after the SQL ran (or failed, the failure swallowed).</summary>
        Throw = 1,
        /// <summary>Catches the SQL's failure and returns normally, as a careless reducer would.</summary>
        Swallow = 2,
    }

    /// <summary>Inserts (id, 'before'), runs <c>Sql</c>, inserts (id + 1, 'after'), then ends as told.</summary>
    public sealed record Run(long Id, string Sql, Ending End = Ending.Return) : IMutation
    {
        public uint Tag => RunTag;

        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
            writer.WriteString(Sql);
            writer.WriteInt32((int)End);
        }
    }

    public sealed record Create : IMutation
    {
        public uint Tag => CreateTag;

        public void WriteTo(MutationWriter writer) => writer.WriteTag(Tag);
    }

    /// <summary>Inserts a row and calls <see cref="PillReducer.OnPill"/> (a test's crash or hang).</summary>
    public sealed record Pill(long Id) : IMutation
    {
        public uint Tag => PillTag;

        public void WriteTo(MutationWriter writer)
        {
            writer.WriteTag(Tag);
            writer.WriteInt64(Id);
        }
    }

    public static IMutationReducer Reducer { get; } = new PillReducer(null);

    /// <summary>The reducer; <see cref="OnPill"/> runs inside <see cref="Pill"/>.</summary>
    public sealed class PillReducer(Action<long>? onPill) : IMutationReducer
    {
        public Action<long>? OnPill { get; set; } = onPill;

        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            switch (reader.ReadTag())
            {
                case CreateTag:
                    context.Execute("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)");
                    break;
                case PillTag:
                {
                    long id = reader.ReadInt64();
                    context.Execute("INSERT INTO t(id, v) VALUES(?1, 'pill')", id);
                    OnPill?.Invoke(id);
                    break;
                }
                case RunTag:
                {
                    long id = reader.ReadInt64();
                    string sql = reader.ReadString();
                    var end = (Ending)reader.ReadInt32();
                    context.Execute("INSERT INTO t(id, v) VALUES(?1, 'before')", id);
                    try
                    {
                        context.Execute(sql);
                    }
                    catch (SqlSyncException) when (end != Ending.Return)
                    {
                    }

                    context.Execute("INSERT INTO t(id, v) VALUES(?1, 'after')", id + 1);
                    if (end == Ending.Throw)
                    {
                        throw new InvalidOperationException("the reducer threw after its SQL");
                    }

                    break;
                }
                default:
                    throw new InvalidOperationException("unknown tag");
            }
        }
    }
}
