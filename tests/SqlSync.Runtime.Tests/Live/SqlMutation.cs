using SqlSync.Mutations;

namespace SqlSync.Runtime.Tests.Live;

/// <summary>A mutation that runs SQL text (tests only: a schema of any shape, triggers, views, WITHOUT ROWID).</summary>
public sealed record SqlMutation(string Sql) : IMutation
{
    public const uint SqlTag = 1;

    public static IMutationReducer Reducer { get; } = new SqlReducer();

    public uint Tag => SqlTag;

    public void WriteTo(MutationWriter writer)
    {
        writer.WriteTag(Tag);
        writer.WriteString(Sql);
    }

    private sealed class SqlReducer : IMutationReducer
    {
        public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
        {
            var reader = new MutationReader(mutation);
            if (reader.ReadTag() != SqlTag)
            {
                throw new SqlSyncException(SqlSyncErrorCode.UnknownMutationTag, "unknown tag");
            }

            context.Execute(reader.ReadString());
            reader.EnsureAtEnd();
        }
    }
}
