using System.ComponentModel;
using System.Text.Json;

namespace SqlSync.Mutations.Generated;

/// <summary>Reads one value starting at the reader's current token, leaving the reader on the value's last token.</summary>
/// <typeparam name="T">The value's type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate T JsonValueReader<out T>(ref Utf8JsonReader reader);
