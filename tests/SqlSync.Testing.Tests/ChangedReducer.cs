namespace SqlSync.Testing.Tests;

/// <summary>A reducer "changed" after its snapshot was accepted: it applies the original, then also shouts every note's title.</summary>
internal sealed class ChangedReducer(IMutationReducer original) : IMutationReducer
{
    public void Apply(IMutationContext context, ReadOnlySpan<byte> mutation)
    {
        original.Apply(context, mutation);
        if (context.QueryScalar<long>("SELECT count(*) FROM sqlite_master WHERE name = 'notes'") == 1)
        {
            context.Execute("UPDATE notes SET title = upper(title)");
        }
    }
}
