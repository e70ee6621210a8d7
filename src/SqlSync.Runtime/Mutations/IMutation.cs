namespace SqlSync.Mutations;

/// <summary>
/// A mutation record: a stable tag and its arguments. The source generator implements this for every
/// method marked with <see cref="MutationAttribute"/>; the record's binary form is the tag followed by
/// the arguments, written by <see cref="MutationWriter"/> (docs/formats.md).
/// </summary>
public interface IMutation
{
    /// <summary>The stable 32-bit tag that names this kind of mutation in every journal.</summary>
    uint Tag { get; }

    /// <summary>Writes the whole record (tag first, then the arguments) to <paramref name="writer"/>.</summary>
    void WriteTo(MutationWriter writer);
}
