/// Each name's position in `names` (the first, if a name repeats): the arm name → index map every
/// use case that meets arm names (assignments, scores, policy arms) reads by.
func armIndex(_ names: [String]) -> [String: Int] {
    var index: [String: Int] = [:]
    for (k, name) in names.enumerated() where index[name] == nil { index[name] = k }
    return index
}
