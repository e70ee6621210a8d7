using SqlSync.Mutations;

namespace SqlSync.Runtime.Tests.Boundaries;

/// <summary>
/// A reducer whose mutations carry their SQL: <c>RunScript</c> runs a text through one
/// <see cref="IMutationContext.Execute(string, object?[])"/>; <c>Probe</c> runs whatever <see cref="Probe"/> says, so a test
/// can call the context directly. It names its mutations through <see cref="IMutationNames"/>.
/// </summary>
public sealed class ScriptReducer : IMutationReducer, IMutationNames
{
    public const uint RunScriptTag = 0x5C000001, ProbeTag = 0x5C000002;

    /// <summary>What the <c>Probe</c> mutation does.</summary>
    public Action<IMutationContext>? Probe { get; set; }

    /// <summary>What the last <c>RunScript</c> returned.</summary>
    public int LastChanges { get; private set; }

    public static byte[] RunScript(string sql)
    {
        var writer = new MutationWriter();
        writer.WriteTag(RunScriptTag);
        writer.WriteString(sql);
        return writer.ToArray();
    }

    public static byte[] ProbeRecord()
    {
        var writer = new MutationWriter();
        writer.WriteTag(ProbeTag);
        return writer.ToArray();
    }

    public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
    {
        var reader = new MutationReader(mutation);
        switch (reader.ReadTag())
        {
            case RunScriptTag:
                LastChanges = context.Execute(reader.ReadString());
                break;
            case ProbeTag:
                Probe!(context);
                break;
            default:
                throw new SqlSyncException(SqlSyncErrorCode.UnknownMutationTag, "Unknown tag.");
        }
    }

    public string? GetMutationName(uint tag) => tag switch
    {
        RunScriptTag => "RunScript",
        ProbeTag => "Probe",
        _ => null,
    };
}
