using System.ComponentModel;
namespace SqlSync.Mutations.Generated;

/// <summary>
/// Optional on an <see cref="IMutationReducer"/>: the name of the mutation method behind a tag, so that
/// errors can say which mutation failed (reducers otherwise see only bytes). The generated reducers
/// implement it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IMutationNames
{
    /// <summary>The mutation method's name for <paramref name="tag"/> (e.g. "AddTodo"), or null when unknown.</summary>
    string? GetMutationName(uint tag);
}
