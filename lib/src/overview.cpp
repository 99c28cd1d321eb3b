// SPDX-License-Identifier: MIT
// Being written (render helper).
