using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>One line of a shipped-mutations file: <c>0xTAG Name Shape | C# parameters</c>.</summary>
/// <param name="Tag">The shipped tag.</param>
/// <param name="Name">The method's name when it shipped.</param>
/// <param name="Shape">Its encoded shape when it shipped.</param>
/// <param name="Parameters">Its C# parameters after the context when it shipped (used by the code fix that keeps the old shape).</param>
/// <param name="Location">The line in the shipped file.</param>
internal sealed record ShippedMutation(uint Tag, string Name, string Shape, string Parameters, LocationInfo Location);
