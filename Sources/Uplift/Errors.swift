/// Errors from fitting, predicting and (de)serializing learners and models: which failure
/// (`code`), XGBoost's return code when XGBoost failed, and the words (with XGBoost's own message).
public struct UpliftError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        /// Training or scoring data that are not acceptable (non-finite, wrong shape, one class).
        case invalidData = "invalid_data"
        /// A stored model that lacks a part or cannot be read.
        case invalidModel = "invalid_model"
        /// XGBoost's C API returned nonzero (`xgboostCode`).
        case xgboost
    }

    public let code: Code
    /// The XGBoost C API's return code, when it failed.
    public let xgboostCode: Int32?
    public let description: String

    public init(_ code: Code, _ description: String, xgboostCode: Int32? = nil) {
        self.code = code
        self.description = description
        self.xgboostCode = xgboostCode
    }

    /// Invalid data, the common case.
    public init(_ description: String) { self.init(.invalidData, description) }
}
