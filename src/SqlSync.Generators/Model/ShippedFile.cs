using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>A parsed <c>ClassName.Shipped.txt</c> additional file.</summary>
/// <param name="Path">The file's path.</param>
/// <param name="ClassName">The mutations class it belongs to: the file name before <c>.Shipped.txt</c>.</param>
/// <param name="Directory">The file's directory.</param>
/// <param name="Mutations">Its lines, in file order.</param>
/// <param name="Errors">Lines it could not read.</param>
internal sealed record ShippedFile(
    string Path,
    string ClassName,
    string Directory,
    EquatableArray<ShippedMutation> Mutations,
    EquatableArray<DiagnosticInfo> Errors);
