namespace SqlSync.Generators.Diagnostics;

/// <summary>Keys of the properties shipped-contract diagnostics carry to their code fixes (SqlSync.Generators.CodeFixes repeats them).</summary>
internal static class ContractProperties
{
    /// <summary>The shipped file's path.</summary>
    public const string ShippedFile = nameof(ShippedFile);

    /// <summary>The shipped tag, 8 hex digits.</summary>
    public const string ShippedTag = nameof(ShippedTag);

    /// <summary>The shipped method name.</summary>
    public const string ShippedName = nameof(ShippedName);

    /// <summary>The shipped C# parameters after the context.</summary>
    public const string ShippedParameters = nameof(ShippedParameters);

    /// <summary>A new tag for the changed mutation, 8 hex digits: derived from its name and new shape.</summary>
    public const string NewTag = nameof(NewTag);

    /// <summary>The line that records the mutation as shipped.</summary>
    public const string Line = nameof(Line);
}
