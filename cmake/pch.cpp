// Empty translation unit: the target that owns the precompiled header shared by every component (see the
// ADXFLOW_PCH option in the top-level CMakeLists.txt).
