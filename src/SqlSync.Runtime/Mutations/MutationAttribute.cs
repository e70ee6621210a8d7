namespace SqlSync.Mutations;

/// <summary>
/// Marks a static method of a <see cref="MutationSetAttribute"/> class as a mutation. Its first parameter
/// is the <see cref="IMutationContext"/>; the others are the record's fields.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class MutationAttribute : Attribute
{
    /// <summary>A mutation whose tag is a stable hash of its class and method names.</summary>
    public MutationAttribute()
    {
    }

    /// <summary>A mutation with an explicit stable tag; it must be unique in its class and non-zero.</summary>
    public MutationAttribute(uint tag)
    {
        Tag = tag;
    }

    /// <summary>The explicit tag, or 0 when the tag is derived from the name.</summary>
    public uint Tag { get; }
}
